//! Engine state files: `latest_state.json` written atomically, plus gzip history copies.
