import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{I as s,J as m,K as o,l as r}from"./chunk-ILY3PWZL.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
