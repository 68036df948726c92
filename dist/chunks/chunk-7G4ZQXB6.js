import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{f as o,k as m,l as a,m as i,n as p}from"./chunk-74DYZ3T5.js";import{D as r}from"./chunk-WFJBW4GU.js";import{a as e}from"./chunk-PGQDUKP4.js";var t=class extends a(i,p,"GetParameterHistory",o){static{e(this,"GetParameterHistoryCommand")}};var G=r(m,t,"NextToken","NextToken","MaxResults");export{G as a};
