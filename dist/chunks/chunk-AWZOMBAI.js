import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{J as r,K as o,L as s,l as m}from"./chunk-R4SIYFSN.js";import{a as e}from"./chunk-PGQDUKP4.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
