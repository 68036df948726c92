import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{J as s,K as m,L as o,m as r}from"./chunk-R4SIYFSN.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
