import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-BDPUE2F4.js";import{O as t}from"./chunk-JWWXE64M.js";import{D as e}from"./chunk-WFJBW4GU.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
