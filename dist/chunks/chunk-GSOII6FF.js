import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as r}from"./chunk-PGQDUKP4.js";function i(n){return Object.entries(n).map(([e,t])=>({Key:e,Value:t}))}r(i,"toTagList");function o(n){let e={};for(let t of n??[])t.Key!==void 0&&(e[t.Key]=t.Value??"");return e}r(o,"fromTagList");export{i as a,o as b};
