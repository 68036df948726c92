import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as o}from"./chunk-ZJSPN4GY.js";import{O as t}from"./chunk-77Z4RHZK.js";import{D as e}from"./chunk-WFJBW4GU.js";var s=e(t,o,"NextToken","NextToken","MaxResults");export{s as a};
