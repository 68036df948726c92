import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-EILEX7YF.js";import"./chunk-PVAQMK5T.js";import"./chunk-2CZDD3IN.js";import"./chunk-7PE2B75K.js";import"./chunk-PGQDUKP4.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
