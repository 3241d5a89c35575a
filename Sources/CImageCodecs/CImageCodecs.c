// CImageCodecs: JPEG and PNG decoding with the settings Pillow 13 uses, returning
// errors instead of exiting.
//
// JPEG (libjpeg-turbo): ISLOW DCT and fancy upsampling, the library defaults that
// Pillow's JpegDecode.c keeps (it only changes them in draft mode). Grayscale and
// YCbCr/RGB files are converted to RGB by libjpeg (gray is replicated, as Pillow's
// L->RGB does); 4-component files come back as CMYK for the caller to convert.
// A premature end of data is a warning in libjpeg (it pads with gray); Pillow raises
// "image file is truncated", so we report it as CIC_TRUNCATED.
//
// PNG (libpng, low-level API): no gamma or colour management, as Pillow's PNG plugin
// (PngImagePlugin.py _MODES and Unpack.c):
//   - 16-bit RGB, RGBA and gray+alpha keep the high byte (png_set_strip_16);
//   - 16-bit gray is Pillow mode "I;16", whose conversion to L/RGB clips at 255
//     (Convert.c I16_RGB), so we clip as well;
//   - 1/2/4-bit gray is scaled to 8 bits (0x55, 0x11 multipliers), palettes expand
//     to RGB, and a palette tRNS chunk to alpha;
//   - tRNS on gray/RGB is applied as Pillow's convert_transparent (Convert.c rgbT2a):
//     a pixel whose 8-bit value equals the chunk value masked with 0xff is transparent.
#include "CImageCodecs.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

enum { KIND_JPEG = 1, KIND_PNG = 2 };
enum { TRNS_NONE = 0, TRNS_GRAY = 1, TRNS_RGB = 2 };

struct cic_jpeg_error {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int hit_eof;
};

struct cic_decoder {
    int kind;
    int32_t width, height, layout, channels;

    // JPEG
    struct jpeg_decompress_struct cinfo;
    struct cic_jpeg_error jerr;
    int jpeg_created;

    // PNG
    png_structp png;
    png_infop png_info;
    const uint8_t *data;
    size_t size, pos;
    int png_ran_out;
    int gray16;           // 16-bit gray: rows hold big-endian samples, clipped on output
    int trns_kind;        // TRNS_NONE, TRNS_GRAY or TRNS_RGB (gray/RGB colour-key transparency)
    int trns_r, trns_g, trns_b;
    int src_channels;     // samples per pixel in libpng's output rows
    size_t rowbytes;
    uint8_t *temp;        // libpng rows when a post-pass is needed
    png_bytep *rows;
    char png_message[200];
};

static void set_result(cic_result *r, int32_t status, const char *message) {
    r->status = status;
    snprintf(r->message, sizeof(r->message), "%s", message ? message : "");
}

static int too_large(int64_t width, int64_t height, int64_t max_pixels) {
    return width * height > max_pixels;
}

// MARK: JPEG

static void jpeg_error_exit(j_common_ptr cinfo) {
    struct cic_jpeg_error *err = (struct cic_jpeg_error *)cinfo->err;
    longjmp(err->jump, 1);
}

static void jpeg_emit_message(j_common_ptr cinfo, int level) {
    struct cic_jpeg_error *err = (struct cic_jpeg_error *)cinfo->err;
    // Warnings (level -1) about corrupt data are ignored, as in Pillow; running out of
    // data is not: jpeg_mem_src signals it with JWRN_JPEG_EOF and then fakes an EOI.
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        err->hit_eof = 1;
    }
}

static void jpeg_fail(cic_decoder *d, cic_result *r) {
    char buffer[JMSG_LENGTH_MAX];
    (*d->cinfo.err->format_message)((j_common_ptr)&d->cinfo, buffer);
    if (d->jerr.hit_eof) {
        set_result(r, CIC_TRUNCATED, "Premature end of JPEG file");
    } else if (d->cinfo.err->msg_code == JERR_BAD_PRECISION) {
        // A valid 12- or 16-bit JPEG, which this 8-bit decoder (and Pillow) cannot read.
        set_result(r, CIC_UNSUPPORTED, buffer);
    } else {
        set_result(r, CIC_CORRUPT, buffer);
    }
}

cic_decoder *cic_jpeg_open(const uint8_t *data, size_t size, int64_t max_pixels, cic_result *r) {
    set_result(r, CIC_OK, NULL);
    cic_decoder *d = calloc(1, sizeof(cic_decoder));
    if (!d) {
        set_result(r, CIC_NO_MEMORY, "out of memory");
        return NULL;
    }
    d->kind = KIND_JPEG;
    d->cinfo.err = jpeg_std_error(&d->jerr.pub);
    d->jerr.pub.error_exit = jpeg_error_exit;
    d->jerr.pub.emit_message = jpeg_emit_message;
    if (setjmp(d->jerr.jump)) {
        jpeg_fail(d, r);
        cic_close(d);
        return NULL;
    }
    jpeg_create_decompress(&d->cinfo);
    d->jpeg_created = 1;
    jpeg_mem_src(&d->cinfo, data, (unsigned long)size);
    jpeg_read_header(&d->cinfo, TRUE);
    if (d->jerr.hit_eof) {
        set_result(r, CIC_TRUNCATED, "Premature end of JPEG file");
        cic_close(d);
        return NULL;
    }

    int components = d->cinfo.num_components;
    if (components == 1 || components == 3) {
        d->cinfo.out_color_space = JCS_RGB;
        d->layout = CIC_LAYOUT_RGB;
        d->channels = 3;
    } else if (components == 4) {
        d->cinfo.out_color_space = JCS_CMYK;
        d->layout = CIC_LAYOUT_CMYK;
        d->channels = 4;
    } else {
        char message[80];
        snprintf(message, sizeof(message), "JPEG with %d color components", components);
        set_result(r, CIC_UNSUPPORTED, message);
        cic_close(d);
        return NULL;
    }
    // Pillow's settings outside draft mode (these are also libjpeg's defaults).
    d->cinfo.dct_method = JDCT_ISLOW;
    d->cinfo.do_fancy_upsampling = TRUE;
    d->cinfo.scale_num = 1;
    d->cinfo.scale_denom = 1;

    d->width = (int32_t)d->cinfo.image_width;
    d->height = (int32_t)d->cinfo.image_height;
    r->width = d->width;
    r->height = d->height;
    r->layout = d->layout;
    r->channels = d->channels;
    if (too_large(d->width, d->height, max_pixels)) {
        set_result(r, CIC_TOO_LARGE, "image too large");
        cic_close(d);
        return NULL;
    }
    return d;
}

static int32_t jpeg_read(cic_decoder *d, uint8_t *out, cic_result *r) {
    if (setjmp(d->jerr.jump)) {
        jpeg_fail(d, r);
        return r->status;
    }
    jpeg_start_decompress(&d->cinfo);
    if ((int32_t)d->cinfo.output_width != d->width || (int32_t)d->cinfo.output_height != d->height ||
        d->cinfo.output_components != d->channels) {
        set_result(r, CIC_CORRUPT, "unexpected JPEG output geometry");
        return r->status;
    }
    size_t stride = (size_t)d->width * (size_t)d->channels;
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        JSAMPROW rows[4];
        JDIMENSION first = d->cinfo.output_scanline;
        JDIMENSION count = d->cinfo.output_height - first;
        if (count > 4) count = 4;
        for (JDIMENSION i = 0; i < count; i++) {
            rows[i] = out + (size_t)(first + i) * stride;
        }
        jpeg_read_scanlines(&d->cinfo, rows, count);
    }
    jpeg_finish_decompress(&d->cinfo);
    if (d->jerr.hit_eof) {
        set_result(r, CIC_TRUNCATED, "Premature end of JPEG file");
        return r->status;
    }
    set_result(r, CIC_OK, NULL);
    return CIC_OK;
}

// MARK: PNG

static void png_error_fn(png_structp png, png_const_charp message) {
    cic_decoder *d = (cic_decoder *)png_get_error_ptr(png);
    snprintf(d->png_message, sizeof(d->png_message), "%s", message);
    png_longjmp(png, 1);
}

static void png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void png_read_fn(png_structp png, png_bytep out, size_t count) {
    cic_decoder *d = (cic_decoder *)png_get_io_ptr(png);
    if (count > d->size - d->pos) {
        d->png_ran_out = 1;
        png_error(png, "Premature end of PNG file");
    }
    memcpy(out, d->data + d->pos, count);
    d->pos += count;
}

static void png_fail(cic_decoder *d, cic_result *r) {
    set_result(r, d->png_ran_out ? CIC_TRUNCATED : CIC_CORRUPT, d->png_message);
}

cic_decoder *cic_png_open(const uint8_t *data, size_t size, int64_t max_pixels, cic_result *r) {
    set_result(r, CIC_OK, NULL);
    cic_decoder *d = calloc(1, sizeof(cic_decoder));
    if (!d) {
        set_result(r, CIC_NO_MEMORY, "out of memory");
        return NULL;
    }
    d->kind = KIND_PNG;
    d->data = data;
    d->size = size;
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, png_error_fn, png_warning_fn);
    if (!d->png) {
        set_result(r, CIC_NO_MEMORY, "out of memory");
        free(d);
        return NULL;
    }
    d->png_info = png_create_info_struct(d->png);
    if (!d->png_info) {
        set_result(r, CIC_NO_MEMORY, "out of memory");
        cic_close(d);
        return NULL;
    }
    if (setjmp(png_jmpbuf(d->png))) {
        png_fail(d, r);
        cic_close(d);
        return NULL;
    }
    png_set_read_fn(d->png, d, png_read_fn);
    // Our own pixel limit (checked below) replaces libpng's 1,000,000-pixel side limit.
    png_set_user_limits(d->png, 0x7fffffff, 0x7fffffff);
    png_read_info(d->png, d->png_info);

    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(d->png, d->png_info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    d->width = (int32_t)width;
    d->height = (int32_t)height;
    r->width = d->width;
    r->height = d->height;
    if (too_large(width, height, max_pixels)) {
        set_result(r, CIC_TOO_LARGE, "image too large");
        cic_close(d);
        return NULL;
    }

    // Colour-key transparency, read before any transform can touch it.
    png_bytep trans_alpha = NULL;
    int num_trans = 0;
    png_color_16p trans_color = NULL;
    int has_trns = png_get_valid(d->png, d->png_info, PNG_INFO_tRNS) &&
                   png_get_tRNS(d->png, d->png_info, &trans_alpha, &num_trans, &trans_color);
    if (has_trns && trans_color && color_type == PNG_COLOR_TYPE_GRAY) {
        d->trns_kind = TRNS_GRAY;
        // PngImagePlugin: mode "1" stores 255 if the value is non-zero, else 0.
        int t = bit_depth == 1 ? (trans_color->gray ? 255 : 0) : trans_color->gray;
        d->trns_r = d->trns_g = d->trns_b = t & 0xff;
    } else if (has_trns && trans_color && color_type == PNG_COLOR_TYPE_RGB) {
        d->trns_kind = TRNS_RGB;
        d->trns_r = trans_color->red & 0xff;
        d->trns_g = trans_color->green & 0xff;
        d->trns_b = trans_color->blue & 0xff;
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(d->png);
        if (has_trns) png_set_tRNS_to_alpha(d->png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(d->png);
    }
    if (bit_depth == 16) {
        if (color_type == PNG_COLOR_TYPE_GRAY) {
            d->gray16 = 1;
        } else {
            png_set_strip_16(d->png);
        }
    }
    png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->png_info);
    d->src_channels = png_get_channels(d->png, d->png_info);
    d->rowbytes = png_get_rowbytes(d->png, d->png_info);

    int base = d->src_channels;  // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    if (base < 1 || base > 4) {
        set_result(r, CIC_UNSUPPORTED, "PNG channel layout");
        cic_close(d);
        return NULL;
    }
    size_t expected = (size_t)width * (size_t)base * (d->gray16 ? 2 : 1);
    if (d->rowbytes != expected) {
        set_result(r, CIC_UNSUPPORTED, "PNG row layout");
        cic_close(d);
        return NULL;
    }
    d->channels = base + (d->trns_kind != TRNS_NONE ? 1 : 0);
    d->layout = d->channels;  // CIC_LAYOUT_GRAY .. CIC_LAYOUT_RGBA equal their channel counts
    r->layout = d->layout;
    r->channels = d->channels;
    return d;
}

static int32_t png_read(cic_decoder *d, uint8_t *out, cic_result *r) {
    int direct = !d->gray16 && d->trns_kind == TRNS_NONE;
    size_t height = (size_t)d->height;
    d->rows = malloc(height * sizeof(png_bytep));
    if (!d->rows) {
        set_result(r, CIC_NO_MEMORY, "out of memory");
        return r->status;
    }
    uint8_t *base = out;
    if (!direct) {
        d->temp = malloc(height * d->rowbytes);
        if (!d->temp) {
            set_result(r, CIC_NO_MEMORY, "out of memory");
            return r->status;
        }
        base = d->temp;
    }
    for (size_t y = 0; y < height; y++) {
        d->rows[y] = base + y * d->rowbytes;
    }
    if (setjmp(png_jmpbuf(d->png))) {
        png_fail(d, r);
        return r->status;
    }
    png_read_image(d->png, d->rows);
    // No png_read_end: Pillow stops after the image data and tolerates a missing IEND.

    if (!direct) {
        size_t n = (size_t)d->width * height;
        const uint8_t *src = d->temp;
        uint8_t *dst = out;
        int sc = d->src_channels;
        for (size_t i = 0; i < n; i++) {
            uint8_t v0, v1 = 0, v2 = 0;
            if (d->gray16) {
                // I16_RGB: values above 255 saturate.
                v0 = src[0] != 0 ? 255 : src[1];
                src += 2;
            } else {
                v0 = src[0];
                if (sc >= 3) {
                    v1 = src[1];
                    v2 = src[2];
                }
                src += sc;
            }
            if (sc == 1) {
                *dst++ = v0;
                if (d->trns_kind != TRNS_NONE) {
                    *dst++ = v0 == d->trns_r ? 0 : 255;
                }
            } else {
                *dst++ = v0;
                *dst++ = v1;
                *dst++ = v2;
                if (d->trns_kind != TRNS_NONE) {
                    *dst++ = (v0 == d->trns_r && v1 == d->trns_g && v2 == d->trns_b) ? 0 : 255;
                }
            }
        }
    }
    set_result(r, CIC_OK, NULL);
    return CIC_OK;
}

// MARK: Common

int32_t cic_read(cic_decoder *d, uint8_t *out, cic_result *r) {
    r->width = d->width;
    r->height = d->height;
    r->layout = d->layout;
    r->channels = d->channels;
    if (d->kind == KIND_JPEG) {
        return jpeg_read(d, out, r);
    }
    return png_read(d, out, r);
}

void cic_close(cic_decoder *d) {
    if (!d) return;
    if (d->kind == KIND_JPEG && d->jpeg_created) {
        jpeg_destroy_decompress(&d->cinfo);
    }
    if (d->kind == KIND_PNG && d->png) {
        png_destroy_read_struct(&d->png, d->png_info ? &d->png_info : NULL, NULL);
    }
    free(d->temp);
    free(d->rows);
    free(d);
}
