"""Drives the Trailbook kernel with jupyter_client's KernelManager, as JupyterLab's server does,
and prints what came back as JSON (jupyter-client.interop.ts checks it)."""
import json
import sys
import time

from jupyter_client.manager import KernelManager


def run(kc, code):
    """Executes code; returns the reply content and the outputs, as (status, [(msg_type, content)])."""
    outputs = []
    reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: outputs.append((m["msg_type"], m["content"])))
    return reply["content"], [o for o in outputs if o[0] in ("stream", "display_data", "execute_result", "error")]


def shell_reply(kc, msg_id):
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def value(kc, code):
    content, outputs = run(kc, code)
    results = [c["data"]["text/plain"] for t, c in outputs if t == "execute_result"]
    return results[0] if results else content


km = KernelManager(kernel_name="trailbook-typescript")
km.start_kernel(cwd=sys.argv[1])
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=120)
result = {"kernel_info": kc.kernel_info(reply=True, timeout=60)["content"]}

content, outputs = run(kc, 'const kept = 41;\nconsole.log("side");\nkept + 1')
result["first"] = {"status": content["status"], "execution_count": content["execution_count"], "outputs": outputs}
result["complete"] = kc.complete("cloudtrail.", 11, reply=True, timeout=120)["content"]
result["inspect"] = kc.inspect("cloudtrail.lookupEvents", 23, reply=True, timeout=60)["content"]
result["is_complete"] = shell_reply(kc, kc.is_complete("for (;;) {"))["content"]

msg_id = kc.execute('console.log("looping");\nwhile (true) {}')
deadline = time.time() + 60
while time.time() < deadline:  # wait until the loop runs
    msg = kc.get_iopub_msg(timeout=60)
    if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
        break
time.sleep(0.2)
km.interrupt_kernel()  # interrupt_mode "message": an interrupt_request on the control channel
result["interrupted"] = shell_reply(kc, msg_id)["content"]
result["kept_after_interrupt"] = value(kc, "kept")

km.restart_kernel(now=False)  # shutdown_request(restart=True), wait for the process to end, start anew
kc.wait_for_ready(timeout=120)
result["after_restart"] = value(kc, "typeof kept")

kc.stop_channels()
km.shutdown_kernel(now=False)
result["alive_after_shutdown"] = km.is_alive()
print(json.dumps(result))
