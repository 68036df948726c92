import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as r}from"./chunk-PGQDUKP4.js";function u(t,e){let o=[];for(let n=0;n<t.length;n+=e)o.push(t.slice(n,n+e));return o}r(u,"batches");export{u as a};
