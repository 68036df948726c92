import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-WFJHMF3S.js";import{K as t}from"./chunk-P5X2UBFE.js";import{D as e}from"./chunk-PVAQMK5T.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
