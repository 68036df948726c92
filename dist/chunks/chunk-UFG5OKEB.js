import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{A as m,M as r,N as o,O as s}from"./chunk-UBRPMRLL.js";import{a as e}from"./chunk-YLPL3IHV.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
