import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{G as s,H as m,I as o,l as r}from"./chunk-UQ74JIVQ.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends s(m,o,"DescribeInstances",r){static{e(this,"DescribeInstancesCommand")}};export{t as a};
