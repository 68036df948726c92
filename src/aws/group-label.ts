// How every log line, failure line and summary names an Auto Scaling group: `us-east-1/web`.

export const groupLabel = (region: string, name: string): string => `${region}/${name}`;
