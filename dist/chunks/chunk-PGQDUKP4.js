import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
var c=Object.defineProperty;var d=(a,b)=>c(a,"name",{value:b,configurable:!0});export{d as a};
