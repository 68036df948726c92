import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{a as t}from"./chunk-PGQDUKP4.js";var o=t(n=>String(n??"").replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>"),"escapeCell");function a(n,r){let e=`| ${n.map(o).join(" | ")} |`,s=`| ${n.map(()=>"---").join(" | ")} |`;return[e,s,...r.map(i=>`| ${i.map(o).join(" | ")} |`)].join(`
`)}t(a,"table");var l=t((n,r=3)=>`${"#".repeat(r)} ${n}`,"heading"),c=t(n=>`\`${n.replace(/`/g,"'")}\``,"code");function g(n,r){return`<details><summary>${n}</summary>

${r}

</details>`}t(g,"details");function u(n){let r=Math.round(n/100)/10;if(r<60)return`${r}s`;let e=Math.round(r);return`${Math.floor(e/60)}m${e%60}s`}t(u,"seconds");var p=t((...n)=>n.filter(Boolean).join(`

`),"blocks");export{a,l as b,c,g as d,u as e,p as f};
