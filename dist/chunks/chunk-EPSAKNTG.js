import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{B as m,N as r,O as o,P as s}from"./chunk-RXJ2TI5J.js";import{a as e}from"./chunk-YLPL3IHV.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
