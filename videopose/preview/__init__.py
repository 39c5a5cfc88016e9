"""Pictures of a motion: 2D skeletons drawn on the video, the 3D skeleton in the export's world frame,
preview videos and contact sheets (docs/architecture.md: above lifter and retarget)."""
