import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{ra as u}from"./chunk-NJWOUJI7.js";import{a as e}from"./chunk-PGQDUKP4.js";function c(t,n){let s={},o=n;for(let[r,i]of Object.entries(t.inputs)){let p=u(r);s[p]=p in o?o[p]:i.default!==void 0?i.parse(i.default):i.empty}return s}e(c,"inputsWith");var a=e(t=>String(t??"").replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>"),"escapeCell");function g(t,n){let s=`| ${t.map(a).join(" | ")} |`,o=`| ${t.map(()=>"---").join(" | ")} |`;return[s,o,...n.map(r=>`| ${r.map(a).join(" | ")} |`)].join(`
`)}e(g,"table");var m=e((t,n=3)=>`${"#".repeat(n)} ${t}`,"heading"),y=e(t=>`\`${t.replace(/`/g,"'")}\``,"code");function x(t,n){return`<details><summary>${t}</summary>

${n}

</details>`}e(x,"details");function F(t){let n=Math.round(t/100)/10;if(n<60)return`${n}s`;let s=Math.round(n);return`${Math.floor(s/60)}m${s%60}s`}e(F,"seconds");var O=e((...t)=>t.filter(Boolean).join(`

`),"blocks");export{c as a,g as b,m as c,y as d,x as e,F as f,O as g};
