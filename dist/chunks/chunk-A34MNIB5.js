import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{M as s,N as m,O as o,n as r}from"./chunk-NJWOUJI7.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
