/* SPDX-License-Identifier: MIT */
/* asgml/asgml.h - everything public in libasgml.  Link with
 * `pkg-config --cflags --libs asgml`. */
#ifndef ASGML_ASGML_H
#define ASGML_ASGML_H
#include "asgml/common.h"
#include "asgml/backend.h"
#include "asgml/store.h"
#include "asgml/model.h"
#include "asgml/optim.h"
#include "asgml/config.h"
#include "asgml/runlog.h"
#include "asgml/state.h"
#include "asgml/method.h"
#include "asgml/probe.h"
#include "asgml/checkpoint.h"
#include "asgml/train.h"
#include "asgml/prep.h"
#include "asgml/probe_eval.h"
#include "asgml/predict.h"
#include "asgml/stats.h"
#include "asgml/tsne.h"
#include "asgml/hooks.h"
#include "asgml/atomic_file.h"
#endif
