import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{P as s,Q as m,R as o,p as r}from"./chunk-HORZM7SV.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
