import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as t}from"./chunk-PGQDUKP4.js";function r(e,n){let a=[];for(let o=0;o<e.length;o+=n)a.push(e.slice(o,o+n));return a}t(r,"batches");function m(e,n,a){return[{client:e,...a?{pageSize:a}:{},...n.eachCommand?{withCommand:n.eachCommand}:{}},{abortSignal:n.signal}]}t(m,"paginatorArgs");export{r as a,m as b};
