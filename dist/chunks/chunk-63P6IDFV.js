import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{L as s,M as m,N as o,n as r}from"./chunk-AQPIUTHB.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
