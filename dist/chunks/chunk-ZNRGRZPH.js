import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-3NEUSJK7.js";import{O as t}from"./chunk-HORZM7SV.js";import{D as e}from"./chunk-WFJBW4GU.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
