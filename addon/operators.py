"""The add-on's operators (``videopose.*``). Work is done by library modules; these only read
options, call them, and report. Errors reach the user through ``self.report({'ERROR'}, ...)``, and a
failed or cancelled operator leaves the scene as it was."""

from __future__ import annotations

import time
from pathlib import Path

import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from videopose.core.errors import VideoposeError

from . import jobs
from .dependencies import in_process_possible
from .preferences import get_preferences
from .properties import FBX_PRESETS
from .scene_io import armature_from_context
from .sources import VIDEO_SUFFIXES, clip_name

_TIMER_SECONDS = 0.2


def _has_ui(context) -> bool:
    return not bpy.app.background and context.window is not None


def _error_text(error: BaseException) -> str:
    return str(error) if isinstance(error, VideoposeError) else f"{type(error).__name__}: {error}"


def _camera_note(wanted: bool, result) -> str:
    """The import report's words on the video camera: the one added, or, where one was wanted, why none was."""
    if result.camera is not None:
        return f" and its video camera {result.camera.name}"
    if not wanted or result.animation is None:
        return ""
    from videopose.retarget.camera_model import VideoCamera

    reason = VideoCamera.missing_because(result.animation)
    return f"; no video camera: {reason}" if reason else ""


class VIDEOPOSE_OT_import_motion(bpy.types.Operator, ImportHelper):
    """Import a videopose motion or animation (.npz) or a BVH file as an animated armature"""

    bl_idname = "videopose.import_motion"
    bl_label = "Import Motion"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: bpy.props.StringProperty(default="*.npz;*.bvh", options={"HIDDEN"})
    target: bpy.props.EnumProperty(
        name="Import to", items=[("NEW", "New armature", ""), ("SELECTED", "Selected armature", "")])
    bone_map: bpy.props.StringProperty(
        name="Bone map", description="Rig preset or bone-map JSON for the selected armature (empty = same names)")

    def invoke(self, context, event):
        settings = context.scene.videopose
        self.target = settings.target
        self.bone_map = settings.bone_map_spec() or ""
        return ImportHelper.invoke(self, context, event)

    def execute(self, context):
        from .headless import import_motion_file

        settings = context.scene.videopose
        armature = None
        if self.target == "SELECTED":
            armature = armature_from_context(context)
            if armature is None:
                self.report({"ERROR"}, "select the armature to import onto (or import to a new armature)")
                return {"CANCELLED"}
        try:
            result = import_motion_file(self.filepath, armature=armature, bone_map=self.bone_map or None,
                                        settings=settings.retarget_settings(), context=context,
                                        video_camera=settings.video_camera)
        except Exception as error:  # the scene was rolled back; tell the user why, without a traceback
            self.report({"ERROR"}, _error_text(error))
            return {"CANCELLED"}
        kept = f"; kept previous action {result.previous_action.name}" if result.previous_action else ""
        self.report({"INFO"}, f"imported {result.action.name}: frames {result.frame_start}-{result.frame_end}{kept}"
                              + _camera_note(settings.video_camera, result))
        return {"FINISHED"}


class VIDEOPOSE_OT_export_fbx(bpy.types.Operator, ExportHelper):
    """Export the selected armature and its action as FBX for a game engine"""

    bl_idname = "videopose.export_fbx"
    bl_label = "Export FBX"
    bl_options = {"REGISTER"}

    filename_ext = ".fbx"
    filter_glob: bpy.props.StringProperty(default="*.fbx", options={"HIDDEN"})
    preset: bpy.props.EnumProperty(name="Preset", items=[(n, n.capitalize(), "") for n in FBX_PRESETS])

    @classmethod
    def poll(cls, context):
        return armature_from_context(context) is not None

    def invoke(self, context, event):
        self.preset = context.scene.videopose.fbx_preset
        armature = armature_from_context(context)
        action = armature.animation_data.action if armature and armature.animation_data else None
        self.filepath = bpy.path.ensure_ext((action or armature).name, ".fbx")
        return ExportHelper.invoke(self, context, event)

    def execute(self, context):
        from .fbx import get_fbx_writer

        armature = armature_from_context(context)
        try:
            path = get_fbx_writer().write(armature, self.filepath, self.preset, overwrite=True)
        except Exception as error:
            self.report({"ERROR"}, _error_text(error))
            return {"CANCELLED"}
        self.report({"INFO"}, f"wrote {path}")
        return {"FINISHED"}


class _PolledJob:
    """Shared modal plumbing: a timer, Blender's progress indicator and status text, Esc to cancel.

    ``execute`` (scripts, ``blender -b``) runs the same steps in a blocking loop.
    """

    _timer = None

    def _begin_ui(self, context) -> None:
        wm = context.window_manager
        wm.progress_begin(0, 1000)
        self._timer = wm.event_timer_add(_TIMER_SECONDS, window=context.window)
        wm.modal_handler_add(self)

    def _end_ui(self, context) -> None:
        if self._timer is None:
            return
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        self._timer = None
        wm.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def _show(self, context, fraction: float, text: str) -> None:
        if _has_ui(context):
            context.window_manager.progress_update(int(1000 * fraction))
        if context.workspace is not None:
            context.workspace.status_text_set(f"VideoPose: {text}  (Esc to cancel)")

    def modal(self, context, event):
        if event.type == "ESC":
            self.cancel_job(context)
            self._end_ui(context)
            self.report({"WARNING"}, "VideoPose: cancelled; nothing was added")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = self.step(context)
        if state == "RUNNING":
            return {"RUNNING_MODAL"}
        self._end_ui(context)
        return {state}

    def invoke(self, context, event):
        return self._launch(context)

    def execute(self, context):
        return self._launch(context)

    def _cancel_quietly(self, context) -> None:
        """Stop the job and the UI for Blender's ``cancel`` callback. Blender also calls it while quitting,
        when this module's globals may already be None: it looks up no module names and never raises
        (the job's process and temporary folder are also cleaned up by ``weakref.finalize`` at exit)."""
        try:
            self.cancel_job(context)
        except Exception:
            pass
        try:
            self._end_ui(context)
        except Exception:
            pass

    def _launch(self, context):
        started = self.start_job(context)
        if started != "RUNNING":
            return {started}
        if not _has_ui(context):  # ``blender -b`` or the bpy module: run to the end here
            return self._run_blocking(context)
        self._begin_ui(context)
        return {"RUNNING_MODAL"}

    def _run_blocking(self, context):
        try:
            while (state := self.step(context)) == "RUNNING":
                time.sleep(0.05)
        except KeyboardInterrupt:
            self.cancel_job(context)
            return {"CANCELLED"}
        return {state}


class VIDEOPOSE_OT_run_video(_PolledJob, bpy.types.Operator, ImportHelper):
    """Video -> detection -> 3D lifting -> retargeting -> animated armature, in the background (Esc cancels)"""

    bl_idname = "videopose.run_video"
    bl_label = "Animate from Video"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".mp4"
    filter_glob: bpy.props.StringProperty(default=";".join(f"*{s}" for s in VIDEO_SUFFIXES), options={"HIDDEN"})
    python_executable: bpy.props.StringProperty(
        name="Python", description="Override the videopose Python of the preferences", options={"HIDDEN"})

    def invoke(self, context, event):
        if not self.filepath or not Path(self.filepath).is_file():
            return ImportHelper.invoke(self, context, event)
        return self._launch(context)

    def start_job(self, context) -> str:
        video = Path(bpy.path.abspath(self.filepath)).resolve()  # the job runs in a temporary folder
        if not video.is_file():
            self.report({"ERROR"}, f"video not found: {video}")
            return "CANCELLED"
        settings, prefs = context.scene.videopose, get_preferences(context)
        self._target = armature_from_context(context) if settings.target == "SELECTED" else None
        if settings.target == "SELECTED" and self._target is None:
            self.report({"ERROR"}, "select the armature to animate (or import to a new armature)")
            return "CANCELLED"
        self._temp = jobs.TempFolder()
        self._output = self._temp.path / f"{clip_name(video)}.npz"
        self._video, self._fraction, self._stage = video, 0.0, "start"
        chosen = settings.retarget_settings()
        rig = None if self._target is not None else chosen.rig
        try:
            if prefs.in_process and not self.python_executable and in_process_possible():
                self._job = jobs.ThreadRun(self._in_process_work(video, rig, chosen, settings)).start()
            else:
                python = self.python_executable or prefs.python_executable
                command = jobs.run_command(python, video, self._output, rig, chosen.smooth, settings.foot_lock,
                                           settings.device, overwrite=True, height=chosen.height, fov=chosen.fov)
                self._job = jobs.BackgroundRun(command, cwd=self._temp.path).start()
        except Exception as error:
            self._temp.remove()
            self.report({"ERROR"}, _error_text(error))
            return "CANCELLED"
        return "RUNNING"

    def _in_process_work(self, video, rig, chosen, settings):
        output, device, foot_lock = self._output, settings.device, settings.foot_lock
        smooth, height, fov = chosen.smooth, chosen.height, chosen.fov  # read here, on Blender's thread

        def work(progress, set_stage):  # on the worker thread: no bpy here
            from videopose.pipeline import RunOptions, run_pipeline
            from videopose.retarget.pipeline import RetargetOptions

            options = RunOptions(retarget=RetargetOptions.chosen(rig, smooth, foot_lock, height, fov), device=device,
                                 overwrite=True)
            run_pipeline(video, output, options, progress=progress, on_stage=set_stage)

        return work

    def step(self, context) -> str:
        for event in self._job.poll():
            self._fraction, self._stage = event.fraction, event.stage or self._stage
        if _has_ui(context):
            self._show(context, self._fraction, f"{self._stage} {100 * self._fraction:.0f}%")
        if not self._job.finished:
            return "RUNNING"
        job, self._job = self._job, None
        try:
            if not job.succeeded:
                self.report({"ERROR"}, f"VideoPose could not process {self._video.name}: {job.error}")
                return "CANCELLED"
            return self._import_result(context)
        finally:
            self.cancel_job(context)  # removes the temporary folder

    def _import_result(self, context) -> str:
        from videopose.retarget.pipeline import RetargetOptions, describe_world

        from .headless import import_motion_file

        settings = context.scene.videopose
        try:  # the run's animation is already on the chosen rig: imported as it is, like Import Motion does
            result = import_motion_file(self._output, armature=self._target,
                                        bone_map=settings.bone_map_spec() if self._target is not None else None,
                                        settings=RetargetOptions(), context=context,
                                        video_camera=settings.video_camera, video_path=self._video)
        except Exception as error:
            self.report({"ERROR"}, f"VideoPose: {_error_text(error)}")
            return "CANCELLED"
        animation = result.animation
        self.report({"INFO"}, f"VideoPose: imported {result.action.name} ({animation.num_frames} frames)"
                              + _camera_note(settings.video_camera, result) + f"; world: {describe_world(animation)}")
        return "FINISHED"

    def cancel_job(self, context) -> None:
        job, self._job = getattr(self, "_job", None), None
        if job is not None and not job.finished:
            job.cancel()
        temp, self._temp = getattr(self, "_temp", None), None
        if temp is not None:
            temp.remove()

    def cancel(self, context):  # Blender calls this when the operator is stopped from outside (file load, quit)
        self._cancel_quietly(context)


class VIDEOPOSE_OT_batch(_PolledJob, bpy.types.Operator):
    """Convert every video / motion / BVH of a folder to FBX (one per input; existing outputs are skipped
    unless Overwrite is on; a failing file is reported and the batch goes on)"""

    bl_idname = "videopose.batch"
    bl_label = "Batch to FBX"
    bl_options = {"REGISTER"}

    input_dir: bpy.props.StringProperty(name="Input folder", subtype="DIR_PATH")
    output_dir: bpy.props.StringProperty(name="Output folder", subtype="DIR_PATH")
    python_executable: bpy.props.StringProperty(name="Python", options={"HIDDEN"})

    def start_job(self, context) -> str:
        from .batch import plan_batch

        settings = context.scene.videopose
        input_dir = bpy.path.abspath(self.input_dir or settings.batch_input)
        output_dir = bpy.path.abspath(self.output_dir or settings.batch_output)
        if not input_dir or not output_dir:
            self.report({"ERROR"}, "choose an input and an output folder in the VideoPose panel")
            return "CANCELLED"
        try:
            self._items = plan_batch(input_dir, output_dir, settings.overwrite)
            Path(output_dir).mkdir(parents=True, exist_ok=True)
        except (VideoposeError, OSError) as error:
            self.report({"ERROR"}, _error_text(error))
            return "CANCELLED"
        if not self._items:
            self.report({"WARNING"}, f"no videos, motions or BVH files in {input_dir}")
            return "CANCELLED"
        self._done, self._job, self._began = [], None, 0.0
        self._python = self.python_executable or get_preferences(context).python_executable
        return "RUNNING"

    def step(self, context) -> str:
        from .batch import BatchItem, convert_item, summary

        settings = context.scene.videopose
        index = len(self._done)
        if index == len(self._items):
            failed = [item for item in self._done if item.status == "failed"]
            for item in failed:
                self.report({"WARNING"}, f"{item.source.name}: {item.message}")
            self.report({"ERROR"} if failed and len(failed) == len(self._done) else {"INFO"},
                        f"VideoPose batch: {summary(self._done)}")
            return "FINISHED"
        item = self._items[index]
        if _has_ui(context):
            self._show(context, index / len(self._items), f"{index + 1}/{len(self._items)} {item.source.name}")
        if item.status != "pending":
            self._done.append(item)
        elif item.kind == "motion":
            self._done.append(convert_item(item, settings.fbx_preset, settings.retarget_settings()))
        elif self._job is None:  # videos run as background processes, polled here
            command = jobs.run_command(self._python, item.source, item.output, settings.retarget_settings().rig,
                                       settings.retarget_settings().smooth, settings.foot_lock, settings.device,
                                       fbx_preset=settings.fbx_preset, overwrite=True)
            self._began = time.perf_counter()
            try:
                self._job = jobs.BackgroundRun(command).start()
            except RuntimeError as error:
                self._done.append(BatchItem(item.source, item.output, item.kind, "failed", str(error)))
        else:
            self._job.poll()
            if self._job.finished:
                status, message = ("written", "") if self._job.succeeded else ("failed", self._job.error)
                self._done.append(BatchItem(item.source, item.output, item.kind, status, message,
                                            time.perf_counter() - self._began))
                self._job = None
        return "RUNNING"

    def cancel_job(self, context) -> None:
        job, self._job = getattr(self, "_job", None), None
        if job is not None and not job.finished:
            job.cancel()

    def cancel(self, context):
        self._cancel_quietly(context)


CLASSES = (VIDEOPOSE_OT_import_motion, VIDEOPOSE_OT_export_fbx, VIDEOPOSE_OT_run_video, VIDEOPOSE_OT_batch)
