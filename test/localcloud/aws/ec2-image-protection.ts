// What deregistration protection says and refuses; DescribeImages, DeregisterImage and the lifecycle calls read it.
import type { Image } from '../state.js';

/**
 * DescribeImages' DeregistrationProtection string. The API reference documents the member only as
 * "Indicates whether deregistration protection is enabled for the AMI" (docs silent on the values):
 * this is localcloud's reading; retire-amis tests only the `enabled` / `disabled-until` prefixes.
 */
export function protectionText(image: Image, now: number): string {
  if (image.deregistrationProtection) {
    return image.deregistrationProtection.cooldown ? 'enabled-with-cooldown' : 'enabled-without-cooldown';
  }
  if (image.protectedUntil !== undefined && image.protectedUntil > now) {
    return `disabled-until ${new Date(image.protectedUntil).toISOString()}`;
  }
  return 'disabled';
}

/** Why DeregisterImage must refuse this image now, if it must. */
export function deregistrationRefusal(image: Image, now: number): string | undefined {
  if (image.deregistrationProtection)
    return `Image ${image.imageId} has deregistration protection enabled; disable it before deregistering the image.`;
  if (image.protectedUntil !== undefined && image.protectedUntil > now)
    return `Image ${image.imageId} is protected from deregistration until ${new Date(image.protectedUntil).toISOString()} (cooldown).`;
  return undefined;
}
