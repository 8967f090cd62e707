/* SPDX-License-Identifier: MIT */
/* prep_presets.c - asgml-prep's option defaults and named presets
 * (asgml-prep(1), DATA SETS, CREMA-D and AV-Digits): each preset sets the audio, image and
 * degradation parameters of one published pipeline; options given on the
 * command line after it win. */
#include <string.h>

#include "data/prep.h"

void asgml_prep_defaults(asgml_prep_options *o)
{
    memset(o, 0, sizeof *o);
    o->created_utc = -1;
    o->max_bad = 0.05;
    o->av_tolerance = 0.5;
    o->fit = "tile";
    o->fit_seconds = 1.0;
    o->n_fft = 512;
    o->hop = 128;
    o->center = 1;
    o->pad_mode = "reflect";
    o->log_offset = 1e-7;
    o->keep_wave = 1;
    o->spec_deflate = 1;
    o->audio_features = "spec";
    o->fbank_mel_bins = 128;
    o->fbank_norm = 1;
    o->image_channels = 1;
    o->deflate = 4;
    o->seq_dataset = "features";
}

const char *asgml_prep_preset_names(void)
{
    return "avdigits avdigits-clean avdigits-vweak avdigits-aweak ogmge-stft ogmge-paper fbank-ast af-mel "
           "vggsound-ogm";
}

asgml_status asgml_prep_preset(asgml_prep_options *o, const char *name)
{
    if (!strncmp(name, "avdigits", 8)) {
        /* asgml-prep(1), DATA SETS, AV-Digits: 8 kHz kept, tiled to 1 s, STFT 256/80 -> (129,101),
         * 28x28 grey images */
        o->audio_rate = 8000;
        o->fit = "tile";
        o->fit_seconds = 1.0;
        o->n_fft = 256;
        o->hop = 80;
        o->win_length = 256;
        o->center = 1;
        o->pad_mode = "reflect";
        o->log_offset = 1e-7;
        o->keep_wave = 1;
        o->image_channels = 1;
        o->image_h = o->image_w = 28;
        o->short_side = 0;
        if (!strcmp(name, "avdigits") || !strcmp(name, "avdigits-clean")) return ASGML_OK;
        if (!strcmp(name, "avdigits-vweak")) { o->img_mismatch = 0.4; return ASGML_OK; }
        if (!strcmp(name, "avdigits-aweak")) { o->aud_snr_on = 1; o->aud_snr_db = -5; return ASGML_OK; }
    } else if (!strcmp(name, "ogmge-stft")) {
        /* asgml-prep(1), DATA SETS, CREMA-D: 22,050 Hz, 3 s tiled, STFT 512/353 -> (257,188);
         * frames RGB, short side 224 */
        o->audio_rate = 22050;
        o->fit = "tile";
        o->fit_seconds = 3.0;
        o->n_fft = 512;
        o->hop = 353;
        o->win_length = 512;
        o->center = 1;
        o->pad_mode = "reflect";
        o->log_offset = 1e-7;
        o->image_channels = 3;
        o->image_h = o->image_w = 0;
        o->short_side = 224;
        return ASGML_OK;
    } else if (!strcmp(name, "ogmge-paper")) {
        /* datasets.md 2.6 (OGM-GE paper 4.2: 257x299 for CREMA-D, 257x1,004 for 10 s sets):
         * 16 kHz, tiled to 3 s (CREMA-D; --fit-seconds 10 for KS/AVE, as PMR's np.tile then cut),
         * clamped; scipy.signal.spectrogram nperseg 512, noverlap 353 (hop 159, not centred,
         * Tukey(0.25), detrend, one-sided PSD), ln(PSD + 1e-7), per-clip z-score -> (257, 299);
         * frames RGB, short side 224 */
        o->audio_rate = 16000;
        o->fit = "tile";
        o->fit_seconds = 3.0;
        o->audio_features = "psd";
        o->n_fft = 512;
        o->hop = 159;
        o->win_length = 512;
        o->center = 0;
        o->log_offset = 1e-7;
        o->image_channels = 3;
        o->image_h = o->image_w = 0;
        o->short_side = 224;
        return ASGML_OK;
    } else if (!strcmp(name, "af-mel")) {
        /* datasets.md 3, Audio variants (AF src/datasets/kinetics_sounds.py): the 16 kHz clip at
         * its own length (librosa.load, no fit), librosa melspectrogram n_fft 2048, hop 512,
         * centred with zeros (librosa >= 0.9), 128 Slaney mels, power_to_db(ref=max, top_db=80),
         * min-max to [0,1], bilinear 128x128 (torch, align_corners=False); frames RGB, short
         * side 224 */
        o->audio_rate = 16000;
        o->fit = "none";
        o->fit_seconds = 10.0;
        o->audio_features = "mel";
        o->n_fft = 2048;
        o->hop = 512;
        o->win_length = 2048;
        o->center = 1;
        o->pad_mode = "constant";
        o->fbank_mel_bins = 128;
        o->mel_h = o->mel_w = 128;
        o->image_channels = 3;
        o->image_h = o->image_w = 0;
        o->short_side = 224;
        return ASGML_OK;
    } else if (!strcmp(name, "fbank-ast")) {
        /* asgml-prep(1), DATA SETS, CREMA-D: 16 kHz, Kaldi fbank 25/10 ms, 128 mel bins, AST
         * normalisation; unpadded rows at the clip's own length (7.2, no tiling), 1024 rows
         * for the model (2.7: zero rows appended at load time); frames RGB, short side 224 */
        o->audio_rate = 16000;
        o->fit = "none";
        o->fit_seconds = 10.0;
        o->fbank_rows = 1024;
        o->audio_features = "fbank";
        o->fbank_mel_bins = 128;
        o->fbank_norm = 1;
        o->image_channels = 3;
        o->image_h = o->image_w = 0;
        o->short_side = 224;
        return ASGML_OK;
    } else if (!strcmp(name, "vggsound-ogm")) {
        /* datasets.md 5 ([OGM] dataset/VGGSoundDataset.py): 16 kHz, tiled to 10 s (OGM doubles
         * the clip until >= 10 s: the same samples), clamped; the loader cuts a 5 s window
         * (train: start uniform in [0, 80000]; test: 40000) and takes the STFT 256/128,
         * centred -> (129, 626), ln(|X| + 1e-7); frames RGB, short side 224 */
        o->audio_rate = 16000;
        o->fit = "tile";
        o->fit_seconds = 10.0;
        o->audio_window = 5.0;
        o->n_fft = 256;
        o->hop = 128;
        o->win_length = 256;
        o->center = 1;
        o->pad_mode = "reflect";
        o->log_offset = 1e-7;
        o->audio_features = "spec";
        o->image_channels = 3;
        o->image_h = o->image_w = 0;
        o->short_side = 224;
        return ASGML_OK;
    }
    return asgml_error(ASGML_EINVAL, "unknown preset '%s' (%s)", name, asgml_prep_preset_names());
}
