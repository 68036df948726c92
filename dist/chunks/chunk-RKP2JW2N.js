import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{B as r,M as s,N as m,O as o}from"./chunk-UBRPMRLL.js";import{a as e}from"./chunk-YLPL3IHV.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
