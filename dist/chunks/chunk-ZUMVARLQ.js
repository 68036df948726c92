import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{L as r,M as o,N as s,m}from"./chunk-AQPIUTHB.js";import{a as e}from"./chunk-PGQDUKP4.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
