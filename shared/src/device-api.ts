/**
 * The JSON shapes of the edge's built-in device API, shared by the edge that serves them
 * and the apps that read them.
 */

/** One file of the media folder, as `GET /api/media` lists it. */
export interface MediaItem {
  name: string;
  size: number;
  /** MIME type, from the file name. */
  type: string;
  /** Last modification, ISO 8601. */
  modified: string;
  /** Path of the file on the device. */
  url: string;
  /**
   * Path of its thumbnail (a WebP image; for a video its poster frame, or an SVG placeholder
   * marked `peerfetch-placeholder` when the device cannot make one), or null for other files.
   */
  thumbnailUrl: string | null;
}

/** One page of `GET /api/media?offset=&limit=`, newest first. */
export interface MediaPage {
  items: MediaItem[];
  total: number;
  offset: number;
  limit: number;
  /** Path of the next page, or null on the last one. */
  next: string | null;
}

/**
 * The answer (201 Created, with `Location`) to an upload: `PUT /api/media/{name}` creates
 * exactly that name, `POST /api/media?name=` may store it under a sanitized or numbered one.
 */
export interface MediaUploadResult extends MediaItem {
  /** The name the client asked for, before sanitizing and numbering. */
  requestedName: string;
}
