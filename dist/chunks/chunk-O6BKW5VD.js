import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{d as e,j as t,k as m,l as o}from"./chunk-YJ5GL4TZ.js";import{a as r}from"./chunk-PGQDUKP4.js";var p=class extends t(m,o,"GetParameterHistory",e){static{r(this,"GetParameterHistoryCommand")}};export{p as a};
