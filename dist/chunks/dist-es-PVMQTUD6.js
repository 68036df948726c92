import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-XFYSXR2Q.js";import"./chunk-P5422EP7.js";import"./chunk-CLJQ4NQK.js";import"./chunk-CFUQUNOM.js";import"./chunk-PGQDUKP4.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
