import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-2F4NVASK.js";import{O as t}from"./chunk-QFGH2NX2.js";import{D as e}from"./chunk-PVAQMK5T.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
