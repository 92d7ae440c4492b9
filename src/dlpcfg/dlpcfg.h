/*
 * The DLP engine a config asks for: the built-in detector switches of
 * dlp.patterns, dlp.custom_patterns, then the rules of every gitleaks-style
 * TOML file in dlp.rule_files, in that order. Shared by the daemon's LLM
 * gateway and `agentsh dlp scan --config`, so both build the same engine.
 */
#ifndef AGENTSH_DLPCFG_DLPCFG_H
#define AGENTSH_DLPCFG_DLPCFG_H

#include "common/diag.h"
#include "config/config.h"
#include "dlp/dlp.h"

/*
 * Build the engine of cfg->dlp (every detector off when dlp.mode is
 * disabled). Problems in the rule files are reported in d as
 * file:line:col. 0, -EINVAL, -E2BIG (a rule file over DLP_RULEFILE_MAX
 * or too many patterns in all), -ENOENT/-EACCES (a rule file not
 * readable), -ENOMEM.
 */
int dlpcfg_engine(const struct config *cfg, struct dlp_engine **out,
		  struct diag *d);

#endif
