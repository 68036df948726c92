import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{P as r,Q as o,R as s,o as m}from"./chunk-HORZM7SV.js";import{a as e}from"./chunk-PGQDUKP4.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
