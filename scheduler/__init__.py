"""Publishing: the daemon, claiming due posts, platform adapters and the sandbox."""
