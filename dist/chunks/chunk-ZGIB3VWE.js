import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{H as r,I as t,J as m,e as o,j as p}from"./chunk-ZZBCIBUA.js";import{a as e}from"./chunk-PGQDUKP4.js";var s=class extends r(t,m,"DescribeImageAttribute",p){static{e(this,"DescribeImageAttributeCommand")}};var i=class extends r(t,m,"CreateTags",o){static{e(this,"CreateTagsCommand")}};export{i as a,s as b};
