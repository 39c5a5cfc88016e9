"""Video -> keypoints -> motion -> animation -> file: the whole job behind ``videopose run``.

Intermediate files are kept next to the output (``NAME.keypoints.npz``, ``NAME.motion.npz``) and
stamped with what they were made from, so a re-run with other retarget or export options skips
detection and lifting.

Everyone in the shot (``people="all"``): one detection finds and tracks every person; each gets their
own files, ``.personN`` before the suffix (``NAME.person2.fbx``, ``NAME.person2.keypoints.npz``,
``NAME.person2.motion.npz``; :func:`videopose.lifter.detect.person_path`), person 1 the main performer.
They share one world: the main performer's (their floor and the camera), the others placed in it by their
own reprojection (:class:`videopose.retarget.solve.SharedWorld`). ``person=N`` animates person N alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.fileio import check_outputs, output_lock, refuse_existing
from videopose.core.progress import ProgressCallback, no_progress
from videopose.core.validate import check_joint_positions
from videopose.retarget.pipeline import RetargetOptions, describe_world, retarget_motion
from videopose.retarget.solve import SharedWorld

OUTPUT_SUFFIXES = (".fbx", ".bvh", ".blend", ".npz")
PEOPLE_CHOICES = ("one", "all")
PREVIEW_SUFFIXES = (".mp4", ".m4v", ".mov", ".png")

# Share of the whole job each stage takes (measured on the sample clip: detection dominates).
_STAGE_WEIGHTS = {"detect": 0.70, "lift": 0.10, "retarget": 0.05, "export": 0.10, "preview": 0.05}


@dataclass(frozen=True)
class RunOptions:
    """What ``videopose run`` can be told; every field has the default a new user wants."""

    retarget: RetargetOptions = RetargetOptions()  # rig, smoothing, foot lock
    device: str = "auto"
    checkpoint: str | None = None       # None = shipped default weights
    flip: bool = True                   # test-time flip augmentation
    turning_lifter: bool = True         # the shipped turning weights where the body turns over (lifter/turning.py)
    preview: Path | None = None         # .mp4 (video beside 3D) or .png (contact sheet)
    fbx_preset: str = "blender"
    bvh_up_axis: str = "Y"              # BVH output: Y up (what importers assume) or Z (docs/formats.md)
    bvh_units_per_metre: float = 1.0    # BVH output: 1 = metres, 100 = centimetres
    reuse: bool = True                  # reuse matching intermediate files
    overwrite: bool = False
    people: str = "one"                 # "all": everyone in the shot, one output per person
    person: int | None = None           # only person N of everyone (numbers as the preview shows them)


@dataclass(frozen=True)
class PersonResult:
    """One person's files of a ``people="all"`` run (or the chosen ``person``)."""

    number: int
    output: Path
    keypoints_path: Path
    motion_path: Path


@dataclass(frozen=True)
class RunResult:
    output: Path
    keypoints_path: Path
    motion_path: Path
    preview: Path | None
    frames: int
    fps: float
    reused: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()      # lines the user should read (e.g. a performer rarely found)
    people: tuple[PersonResult, ...] = ()  # with people="all" / person=N: each person animated
    world: str = ""  # the world the (first) performer stands in: retarget.pipeline.describe_world


def intermediate_paths(output: Path) -> tuple[Path, Path]:
    """Where the keypoints and the motion of ``output`` are kept: beside it, named after it."""
    stem = output.name[: -len(output.suffix)] if output.suffix else output.name
    return output.with_name(f"{stem}.keypoints.npz"), output.with_name(f"{stem}.motion.npz")


def people_mode(options: RunOptions) -> str:
    """``"all"`` where everyone in the shot is detected (``people="all"`` or a chosen ``person``), else ``"one"``."""
    return "all" if options.people == "all" or options.person is not None else "one"


def detection_stamp(video: Path, people: str) -> str:
    """What kept keypoints must carry (``extra_video_signature``) to be reused: the video's signature and
    the people mode (one-person files keep the plain signature, so files of earlier runs stay valid)."""
    signature = file_signature(video)
    return signature if people == "one" else f"{signature}|people={people}"


def person_files(output: Path, number: int, options: RunOptions) -> PersonResult:
    """Where person ``number``'s output, kept keypoints and kept motion go: with everyone detected,
    ``.personN`` before the suffix (``out/clip.person2.fbx``, ``out/clip.person2.keypoints.npz``,
    ``out/clip.person2.motion.npz``), except that a chosen ``person`` writes ``output`` itself; one
    person: ``output`` and :func:`intermediate_paths`."""
    from videopose.lifter.detect import person_path

    keypoints, motion = intermediate_paths(output)
    if people_mode(options) == "one":
        return PersonResult(number, output, keypoints, motion)
    return PersonResult(number, output if options.person is not None else person_path(output, number),
                        person_path(keypoints, number), person_path(motion, number))


def kept_people(keypoints_path: Path, stamp: str) -> list | None:
    """Everyone's keypoints kept by an earlier run (``person_path(keypoints_path, N)``, N = 1 to the
    ``extra_people`` of person 1), where every file carries ``stamp``; None where any is missing or stale."""
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.detect import person_path

    people: list = []
    count = 1
    while len(people) < count:
        path = person_path(keypoints_path, len(people) + 1)
        if not path.is_file():
            return None
        kept = Keypoints2D.load(path)
        if str(kept.extras.get("video_signature", "")) != stamp:
            return None
        count = int(kept.extras.get("people", 1)) if not people else count
        people.append(kept)
    return people


def file_signature(path: Path) -> str:
    """Identity of an input file (name, size, content hash of its first and last MiB)."""
    stat = path.stat()
    digest = hashlib.sha1()
    with open(path, "rb") as stream:
        digest.update(stream.read(1 << 20))
        if stat.st_size > 2 << 20:
            stream.seek(-(1 << 20), os.SEEK_END)
            digest.update(stream.read())
    return f"{path.name}|{stat.st_size}|{digest.hexdigest()}"


def _has_stamp(path: Path, stamp_key: str) -> bool:
    """Whether the ``.npz`` at ``path`` carries ``extra_<stamp_key>``: ``run`` made it (read from the index)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return f"extra_{stamp_key}.npy" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _refuse_unstamped(path: Path, stamp_key: str, overwrite: bool) -> None:
    """A file where ``run`` keeps an intermediate that ``run`` did not make is the user's: never replaced
    without ``overwrite``."""
    if not overwrite and path.exists() and not _has_stamp(path, stamp_key):
        raise VideoposeError(
            f"{path} exists and was not made by `videopose run` (run keeps its intermediate file there): "
            "pass --overwrite to replace it, or choose another output name"
        )


def _check_keypoints_for_run(keypoints, source: str) -> str | None:
    """Refuse keypoints a run cannot animate honestly (performer rarely found, variable frame rate);
    a warning line when the performer was found in few frames."""
    from videopose.core.validate import check_constant_rate, check_detected_share

    extras = keypoints.extras
    detected = (int(np.count_nonzero(extras["detected"])) if "detected" in extras
                else int((keypoints.scores > 0).any(axis=1).sum()))
    check_constant_rate(bool(extras.get("variable_frame_rate", False)), extras.get("timestamps"), source)
    return check_detected_share(detected, keypoints.num_frames, source)


def _kept_or_made(path: Path, load: Callable, stamp_key: str, stamp: str, reuse: bool, make: Callable,
                  check: Callable | None = None):
    """The file kept at ``path`` if it carries ``stamp`` (what it was made from), else ``make()`` stamped
    and saved there; ``check`` (raising) sees either before it is used or saved. Returns
    (Keypoints2D or Motion3D, whether it was reused)."""
    if reuse and path.exists():
        kept = load(path)
        if stamp_key in kept.extras and str(kept.extras[stamp_key]) == stamp:
            if check is not None:
                check(kept)
            return kept, True
    made = make()
    if check is not None:
        check(made)
    made = type(made)(**{**made.__dict__, "extras": {**made.extras, stamp_key: np.array(stamp)}})
    made.save(path)
    return made, False


def run_pipeline(
    video: str | os.PathLike,
    output: str | os.PathLike,
    options: RunOptions = RunOptions(),
    progress: ProgressCallback = no_progress,
    on_stage: Callable[[str], None] | None = None,
) -> RunResult:
    """Detect, lift, retarget and export ``video`` into ``output`` (.fbx, .bvh, .blend or .npz animation).

    Before any work: the output, the preview and the kept intermediate files may not be an input,
    an existing folder, a user's own file (``overwrite`` off) or each other; they stay locked for the
    whole run, so a second run on the same output fails at once instead of racing this one.
    """
    video_path, output_path, checkpoint_path = check_run(video, output, options)
    first = person_files(output_path, options.person or 1, options)
    preview = Path(options.preview) if options.preview is not None else None
    with contextlib.ExitStack() as locks:
        for path in dict.fromkeys((output_path, first.output, first.keypoints_path, first.motion_path, preview)):
            if path is not None:
                _make_folder(path.parent)
                locks.enter_context(output_lock(path))
        refuse_existing(first.output, options.overwrite)  # again, now that no other run can write it
        return _run_stages(video_path, output_path, checkpoint_path, options, progress, on_stage)


def check_run(video: str | os.PathLike, output: str | os.PathLike,
              options: RunOptions = RunOptions()) -> tuple[Path, Path, Path]:
    """The checks :func:`run_pipeline` makes before any work (none writes anything); returns the video,
    output and checkpoint paths. The CLI calls it first so that errors come before a progress bar."""
    video_path, output_path = Path(video), Path(output)
    if options.people not in PEOPLE_CHOICES:
        raise VideoposeError(f"--people must be one of {', '.join(PEOPLE_CHOICES)}, got {options.people!r}")
    if options.person is not None and (isinstance(options.person, bool) or int(options.person) != options.person
                                       or options.person < 1):
        raise VideoposeError(f"--person N takes a person's number (1, 2, ... as the preview labels them), "
                             f"got {options.person!r}")
    if output_path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise VideoposeError(f"output must end in one of {', '.join(OUTPUT_SUFFIXES)}, got {output_path.name}")
    if video_path.is_dir():
        raise VideoposeError(f"{video_path} is a folder: give one video file (the Blender add-on's batch converts folders)")
    if not video_path.is_file():
        raise VideoposeError(f"video not found: {video_path}")
    preview = Path(options.preview) if options.preview is not None else None
    if preview is not None and preview.suffix.lower() not in PREVIEW_SUFFIXES:
        raise VideoposeError(f"--preview must end in .mp4 (video) or .png (contact sheet), got {preview.name}")
    from videopose.lifter.video import probe_video

    probe_video(video_path)  # an empty or unreadable video fails now, before torch and the models load
    from videopose.lifter.checkpoint import resolve_checkpoint

    checkpoint_path = resolve_checkpoint(options.checkpoint)
    first = person_files(output_path, options.person or 1, options)  # the others are checked once detected
    keypoints_path, motion_path = first.keypoints_path, first.motion_path
    inputs = {"the input video": video_path, "the lifter checkpoint": checkpoint_path}
    kept = {"the kept keypoints file": keypoints_path, "the kept motion file": motion_path}
    check_outputs({"the output": first.output, "--preview": preview}, {**inputs, **kept}, options.overwrite)
    check_outputs(kept, inputs, overwrite=True)
    _refuse_unstamped(keypoints_path, "video_signature", options.overwrite)
    _refuse_unstamped(motion_path, "lift_signature", options.overwrite)
    for path in (first.output, keypoints_path, motion_path, preview):
        if path is not None and path.parent.is_dir():
            with output_lock(path):  # another run writing it now: fail before the models load
                pass
    return video_path, output_path, checkpoint_path


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VideoposeError(f"cannot create the output folder {folder}: {error.strerror}") from None


def _run_stages(video_path: Path, output_path: Path, checkpoint_path: Path, options: RunOptions,
                progress: ProgressCallback, on_stage: Callable[[str], None] | None) -> RunResult:
    """The stages of :func:`run_pipeline` once its inputs and outputs are checked and locked."""
    import time

    from videopose.lifter.checkpoint import load_checkpoint
    from videopose.core.frame_runs import frame_ranges
    from videopose.lifter.turning import turning_checkpoint_for
    from videopose.core.formats import Keypoints2D, Motion3D
    from videopose.core.progress import scaled

    mode = people_mode(options)
    first = person_files(output_path, options.person or 1, options)
    stage_bounds, start = {}, 0.0
    for stage, weight in _STAGE_WEIGHTS.items():
        stage_bounds[stage] = (start, start + weight)
        start += weight

    def stage_progress(stage: str) -> ProgressCallback:
        if on_stage is not None:
            on_stage(stage)
        return scaled(progress, *stage_bounds[stage])

    reused: list[str] = []
    seconds: dict[str, float] = {}
    notes: list[str] = []

    def detect():
        from videopose.lifter.detect import detect_people, detect_video

        if mode == "one":
            return detect_video(video_path, progress=stage_progress("detect"))
        return detect_people(video_path, progress=stage_progress("detect"))

    turning_path = turning_checkpoint_for(options.checkpoint, options.turning_lifter)

    def lifter(keypoints):
        def lift():
            from videopose.lifter.turning import lift_with_turning

            motion, _ = lift_with_turning(keypoints, load_checkpoint(checkpoint_path), turning_path,
                                          device=options.device, flip=options.flip, progress=stage_progress("lift"))
            return motion
        return lift

    began = time.perf_counter()
    if mode == "one":
        keypoints, kept = _kept_or_made(first.keypoints_path, Keypoints2D.load, "video_signature",
                                        detection_stamp(video_path, mode), options.reuse, detect,
                                        check=lambda found: _check_keypoints_for_run(found, video_path.name))
        note = _check_keypoints_for_run(keypoints, video_path.name)
        notes.extend([note] if note else [])
        everyone, chosen = [keypoints], [(first, keypoints)]
    else:
        everyone, kept = _kept_or_detected_people(intermediate_paths(output_path)[0], detection_stamp(video_path, mode),
                                                  options, detect)
        chosen = _chosen_people(everyone, output_path, options, video_path, notes)
    if kept:
        reused.append("detect")
    else:
        seconds["detect"] = time.perf_counter() - began

    began = time.perf_counter()
    motions, all_kept = [], True
    for files, keypoints in chosen:
        lift_stamp = f"{file_signature(files.keypoints_path)}|{file_signature(checkpoint_path)}|flip={options.flip}"
        if turning_path is not None:
            lift_stamp += f"|turning={file_signature(turning_path)}"
        motion, kept = _kept_or_made(files.motion_path, Motion3D.load, "lift_signature", lift_stamp, options.reuse,
                                     lifter(keypoints),
                                     check=lambda lifted: check_joint_positions(lifted.joints_3d, "the lifted motion"))
        motions.append(motion)
        all_kept = all_kept and kept
        turned = np.asarray(motion.extras.get("turning_weights", np.zeros(motion.num_frames))) > 0
        if turned.any():
            notes.append(f"the body turns over in frames {frame_ranges(turned)}: lifted there with the turning "
                         "weights (--no-turning-lifter: the default weights only)")
    if all_kept:
        reused.append("lift")
    else:
        seconds["lift"] = time.perf_counter() - began

    began = time.perf_counter()
    stage_progress("retarget")(0, 1)
    grounding = grounding_keypoints(video_path, chosen[0][1])  # one camera: judged on the performer
    background = {key: grounding.extras[key] for key in BACKGROUND_EXTRAS if key in grounding.extras}  # one for all
    animations, world = [], None
    for (files, keypoints), motion in zip(chosen, motions):
        keypoints = keypoints.with_extras(**background)
        with warnings.catch_warnings(record=True) as caught:  # the run summary says them, once each, on one line
            warnings.simplefilter("always")
            animation = retarget_motion(motion, options.retarget, keypoints=keypoints, world=world)
        prefix = f"person {files.number}: " if len(chosen) > 1 else ""
        notes.extend(dict.fromkeys(prefix + str(warning.message) for warning in caught))
        if world is None and len(chosen) > 1:
            world = SharedWorld.of(animation)
            if world is None:
                notes.append(f"person {files.number} could not be placed in the camera's world (no planted foot, "
                             "or a moving camera): the people do not share one floor")
        animations.append(animation)
    seconds["retarget"] = time.perf_counter() - began

    began = time.perf_counter()
    for (files, _), animation in zip(chosen, animations):
        export_animation(animation, files.output, options, progress=stage_progress("export"), video_path=video_path)
    seconds["export"] = time.perf_counter() - began

    if options.preview is not None:
        began = time.perf_counter()
        others = [person for person in everyone if person is not chosen[0][1]]  # labelled, to pick --person N
        performer = chosen[0][1].with_extras(**background)
        make_preview(motions[0], performer, video_path, Path(options.preview), options, stage_progress("preview"),
                     others=others)
        seconds["preview"] = time.perf_counter() - began
    progress(1000, 1000, "done")
    return RunResult(first.output, first.keypoints_path, first.motion_path, options.preview, motions[0].num_frames,
                     motions[0].fps, tuple(reused), seconds, tuple(notes),
                     tuple(files for files, _ in chosen) if mode == "all" else (), describe_world(animations[0]))


def _kept_or_detected_people(keypoints_path: Path, stamp: str, options: RunOptions, detect: Callable) -> tuple[list, bool]:
    """Everyone's keypoints: the files kept at ``person_path(keypoints_path, N)`` where all carry ``stamp``
    (:func:`kept_people`), else ``detect()`` once, each person stamped and saved (a file there that ``run``
    did not make is refused without ``overwrite``). Returns (Keypoints2D per person, whether they were kept)."""
    from videopose.lifter.detect import person_path

    if options.reuse:
        kept = kept_people(keypoints_path, stamp)
        if kept is not None:
            return kept, True
    found = detect()
    paths = [person_path(keypoints_path, number) for number in range(1, len(found) + 1)]
    for path in paths:
        _refuse_unstamped(path, "video_signature", options.overwrite)
    stamped = [type(person)(**{**person.__dict__, "extras": {**person.extras, "video_signature": np.array(stamp)}})
               for person in found]
    for person, path in zip(stamped, paths):
        person.save(path)
    return stamped, False


def _chosen_people(everyone: list, output: Path, options: RunOptions, video_path: Path,
                   notes: list[str]) -> list[tuple[PersonResult, object]]:
    """(files, keypoints) of the people to animate: person ``options.person``, or everyone found in enough
    frames (the others are named in ``notes``; the main performer found too rarely is an error). Their
    outputs are checked before any is written."""
    if options.person is not None and options.person > len(everyone):
        raise VideoposeError(
            f"--person {options.person}: only {len(everyone)} {'person was' if len(everyone) == 1 else 'people were'} "
            f"found in {video_path.name}; their numbers are on the preview (--preview)")
    numbers = [options.person] if options.person is not None else list(range(1, len(everyone) + 1))
    chosen = []
    for number in numbers:
        keypoints = everyone[number - 1]
        try:
            _check_keypoints_for_run(keypoints, f"{video_path.name} (person {number})")
        except VideoposeError as error:
            if number == numbers[0]:
                raise
            notes.append(f"person {number} not animated: {error}")
            continue
        chosen.append((person_files(output, number, options), keypoints))
    check_outputs({f"person {files.number}'s output": files.output for files, _ in chosen},
                  {"the input video": video_path}, options.overwrite)
    for files, _ in chosen:
        _refuse_unstamped(files.motion_path, "lift_signature", options.overwrite)
    return chosen


# What the video's background says, the same for everyone in it (lifter.detect.with_background).
BACKGROUND_EXTRAS = ("background_speed", "background_lines_px", "background_homographies", "background_tracked")


def grounding_keypoints(video_path: Path, keypoints):
    """The keypoints to ground the motion in the camera with (docs/grounding.md): with the lines of the video's
    background (``extras["background_lines_px"]``: the scene's verticals give the floor's prior) and, where the
    background moves, its homographies (``extras["background_homographies"]``: the retargeter follows a camera
    that turns and warns of one that moves otherwise, retarget/camera_motion.py); measured here where the
    keypoints do not hold them (a file of an earlier detection)."""
    from videopose.lifter.camera import MOVING_CAMERA_SPEED, background_motion
    from videopose.lifter.detect import with_background_homographies
    from videopose.lifter.scene_lines import background_lines, with_background_lines

    kept = keypoints.extras.get("background_speed")  # measured at detection
    speed = float(kept) if kept is not None else background_motion(video_path, keypoints)
    if speed <= MOVING_CAMERA_SPEED:
        if "background_lines_px" in keypoints.extras:  # found at detection
            return keypoints
        return with_background_lines([keypoints], background_lines(video_path, keypoints))[0]
    if "background_homographies" in keypoints.extras:  # followed at detection
        return keypoints
    return with_background_homographies([keypoints], video_path)[0]


def moving_camera_warning(speed: float) -> str:
    """What a run or a retarget says of a background moving ``speed`` frame diagonals per second."""
    return (f"the camera seems to move (the background moves {speed:.0%} of the frame diagonal per second) and the "
            "keypoints file holds no homographies of its background: grounding assumes a static camera, so the root "
            "path and floor come from the lifter's depth (detect the video again to follow a camera that turns)")


def export_animation(animation, output: Path, options: RunOptions, progress: ProgressCallback = no_progress,
                     video_path: Path | None = None) -> None:
    """Write an Animation as .npz, .bvh, or (through Blender) .fbx / .blend (with the video's camera and the
    video behind it, where the animation was grounded in its camera)."""
    suffix = output.suffix.lower()
    if suffix == ".npz":
        animation.save(output, overwrite=options.overwrite)
    elif suffix == ".bvh":
        from videopose.core.bvh import write_bvh

        write_bvh(animation, output, up_axis=options.bvh_up_axis, units_per_metre=options.bvh_units_per_metre,
                  overwrite=options.overwrite)
    else:
        from videopose.addon.headless import export_animation_file

        export_animation_file(animation, output, preset=options.fbx_preset, video_path=video_path)
    progress(1, 1)


def make_preview(motion, keypoints, video_path: Path, preview_path: Path, options: RunOptions,
                 progress: ProgressCallback = no_progress, others: list | tuple = ()) -> None:
    """The video with its 2D skeleton beside the lifted 3D skeleton (.mp4), or a contact sheet (.png);
    ``others``: the other people's keypoints, drawn on the video and, like the performer, labelled
    "person N"."""
    from videopose.preview.render import render_contact_sheet, render_preview_video

    if preview_path.suffix.lower() == ".png":
        render_contact_sheet(motion, preview_path, video_path=video_path, keypoints=keypoints,
                             overwrite=options.overwrite, others=others, grounding=options.retarget)
    else:
        render_preview_video(motion, preview_path, video_path=video_path, keypoints=keypoints, progress=progress,
                             overwrite=options.overwrite, others=others, grounding=options.retarget)


def real_footage(keypoints_paths: list[str | os.PathLike], lifter_config, fov_degrees: float | None = None) -> list:
    """Keypoints files (``videopose detect``) -> :class:`videopose.lifter.train.RealFootage` for the
    semi-supervised terms of ``videopose train``: the 2D as lifting prepares it and the camera of
    :class:`videopose.retarget.camera_model.PinholeCamera` (frame size, diagonal field of view
    ``fov_degrees``, default its documented one) as normalised intrinsics."""
    from videopose.core.formats import Keypoints2D
    from videopose.lifter.infer import prepare_clip
    from videopose.lifter.train import RealFootage
    from videopose.retarget.camera_model import PinholeCamera

    footage = []
    for path in keypoints_paths:
        keypoints = Keypoints2D.load(path)
        camera = PinholeCamera.from_frame(keypoints.width, keypoints.height, fov_degrees)
        intrinsics = np.zeros(9, dtype=np.float32)
        intrinsics[0:2] = camera.focal_px / keypoints.width * 2
        intrinsics[2] = camera.center_px[0] / keypoints.width * 2 - 1
        intrinsics[3] = camera.center_px[1] / keypoints.width * 2 - keypoints.height / keypoints.width
        footage.append(RealFootage(Path(path).name, prepare_clip(keypoints, lifter_config).inputs, intrinsics))
    return footage
