// CImageCodecs: JPEG (libjpeg-turbo) and PNG (libpng) decoding behind a setjmp
// error manager, so that a corrupt file returns an error instead of calling exit().
//
// Usage: cic_*_open reads the header (nothing large is allocated, the caller checks
// the size), the caller allocates width*height*channels bytes and calls cic_read,
// then cic_close. The input bytes must stay alive until cic_close.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of an open or read call.
typedef enum {
    CIC_OK = 0,
    CIC_TRUNCATED = 1,    // the data ends before the image is complete
    CIC_CORRUPT = 2,      // the codec rejected the data; message holds its words
    CIC_TOO_LARGE = 3,    // width*height exceeds the caller's limit (checked from the header)
    CIC_UNSUPPORTED = 4,  // a valid file this decoder does not handle; message says what
    CIC_NO_MEMORY = 5
} cic_status;

/// Pixel layout written by cic_read, always 8 bits per sample, rows packed.
/// These are the values Pillow holds after Image.open (before convert("RGB")).
typedef enum {
    CIC_LAYOUT_GRAY = 1,        // 1 byte:  L
    CIC_LAYOUT_GRAY_ALPHA = 2,  // 2 bytes: L, A
    CIC_LAYOUT_RGB = 3,         // 3 bytes
    CIC_LAYOUT_RGBA = 4,        // 4 bytes
    CIC_LAYOUT_CMYK = 5         // 4 bytes: C, M, Y, K as libjpeg returns them (Adobe-inverted)
} cic_layout;

typedef struct {
    int32_t status;    // cic_status
    int32_t width;
    int32_t height;
    int32_t layout;    // cic_layout
    int32_t channels;  // bytes per pixel of the layout
    char message[200]; // codec message when status != CIC_OK
} cic_result;

typedef struct cic_decoder cic_decoder;

/// Reads a JPEG header. Returns NULL with result->status set on failure.
cic_decoder *cic_jpeg_open(const uint8_t *data, size_t size, int64_t max_pixels, cic_result *result);

/// Reads a PNG header (up to the first IDAT). Returns NULL with result->status set on failure.
cic_decoder *cic_png_open(const uint8_t *data, size_t size, int64_t max_pixels, cic_result *result);

/// Decodes all pixels into out (width*height*channels bytes). Returns result->status.
int32_t cic_read(cic_decoder *decoder, uint8_t *out, cic_result *result);

void cic_close(cic_decoder *decoder);

#ifdef __cplusplus
}
#endif

#endif
