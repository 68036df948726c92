import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{G as r,H as o,I as s,k as m}from"./chunk-UQ74JIVQ.js";import{a as e}from"./chunk-PGQDUKP4.js";var p=class extends r(o,s,"DescribeImages",m){static{e(this,"DescribeImagesCommand")}};export{p as a};
