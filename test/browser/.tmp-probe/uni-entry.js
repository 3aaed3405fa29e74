import { connectSocket, onNetworkStatusChange } from '@dcloudio/uni-h5';
import { connectSocket as taroConnect } from '@tarojs/taro-h5';
window.rt = { connectSocket, onNetworkStatusChange, taroConnect };
