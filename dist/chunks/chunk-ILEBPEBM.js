import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{F as r,G as t,H as m,e as o,j as p}from"./chunk-WUHPCEOM.js";import{a as e}from"./chunk-PGQDUKP4.js";var s=class extends r(t,m,"DescribeImageAttribute",p){static{e(this,"DescribeImageAttributeCommand")}};var i=class extends r(t,m,"CreateTags",o){static{e(this,"CreateTagsCommand")}};export{i as a,s as b};
