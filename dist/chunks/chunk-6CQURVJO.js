import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{I as r,J as o,K as s,k as m}from"./chunk-ILY3PWZL.js";import{a as e}from"./chunk-PGQDUKP4.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
