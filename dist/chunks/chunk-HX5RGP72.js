import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{M as r,N as o,O as s,m}from"./chunk-NJWOUJI7.js";import{a as e}from"./chunk-PGQDUKP4.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
