import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-A34MNIB5.js";import{L as t}from"./chunk-NJWOUJI7.js";import{D as e}from"./chunk-PVAQMK5T.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
