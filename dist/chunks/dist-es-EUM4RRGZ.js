import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-HNK54DMB.js";import"./chunk-AEOJUGCC.js";import"./chunk-5TNWATTA.js";import"./chunk-MIB2W7PL.js";import"./chunk-YLPL3IHV.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
