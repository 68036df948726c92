import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{d as o,i as m,j as a,k as i,l as p}from"./chunk-6VHVQ7M7.js";import{D as r}from"./chunk-PVAQMK5T.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends a(i,p,"GetParameterHistory",o){static{e(this,"GetParameterHistoryCommand")}};var G=r(m,t,"NextToken","NextToken","MaxResults");export{G as a};
