import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{ya as i}from"./chunk-HORZM7SV.js";import{a as p}from"./chunk-PGQDUKP4.js";function a(u,o){let n={},s=o;for(let[r,t]of Object.entries(u.inputs)){let e=i(r);n[e]=e in s?s[e]:t.default!==void 0?t.parse(t.default):t.empty}return n}p(a,"inputsWith");export{a};
