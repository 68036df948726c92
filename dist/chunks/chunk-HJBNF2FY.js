import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-L7D2GXZX.js";import{H as t}from"./chunk-RDO7NVHX.js";import{D as e}from"./chunk-WFJBW4GU.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
