import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{C as r,N as s,O as m,P as o}from"./chunk-RXJ2TI5J.js";import{a as e}from"./chunk-YLPL3IHV.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
