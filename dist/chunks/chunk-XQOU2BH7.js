import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-XHXP4DXB.js";import{I as t}from"./chunk-R4SIYFSN.js";import{D as e}from"./chunk-PVAQMK5T.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
