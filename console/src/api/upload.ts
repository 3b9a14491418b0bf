import { errorMessages } from './errors';

export interface UploadFailure {
  code: string;
  message: string;
}

/**
 * The middle step of a staged upload: PUT the bytes to the gateway's upload URL with the bearer
 * token. XMLHttpRequest, because fetch reports no upload progress.
 */
export function putFile(url: string, file: Blob, token: string, contentType: string, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    request.setRequestHeader('authorization', `Bearer ${token}`);
    request.setRequestHeader('content-type', contentType);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      reject(failureOf(request));
    };
    request.onerror = () => reject({ code: 'NETWORK', message: 'The upload could not reach the API.' } satisfies UploadFailure);
    request.send(file);
  });
}

function failureOf(request: XMLHttpRequest): UploadFailure {
  try {
    const body = JSON.parse(request.responseText) as { errors?: Array<{ message?: string; extensions?: { code?: string } }> };
    const first = body.errors?.[0];
    const code = first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
    return { code, message: `${errorMessages[code] ?? errorMessages['INTERNAL_SERVER_ERROR']} ${first?.message ?? ''}`.trim() };
  } catch {
    return { code: 'HTTP_' + request.status, message: `The upload failed with HTTP ${request.status}.` };
  }
}
